// Accounts and meetings as a user sees them in the browser.
import { test, expect } from './test';
import { gotoLight, registerViaUi, uniqueEmail, PASSWORD } from './fixtures';

test('register, schedule a meeting, open its link, sign out, dashboard needs sign-in', async ({ page }) => {
  const email = uniqueEmail('ada');
  await registerViaUi(page, 'Ada Lovelace', email);
  await expect(page.getByTestId('current-user')).toHaveText('Ada Lovelace');

  const form = page.getByRole('form', { name: 'New meeting' });
  await form.getByLabel('Title').fill('Engine design review');
  await form.getByLabel('Starts (optional)').fill('2099-03-04T10:30');
  await form.getByLabel('Duration (minutes)').fill('45');
  await form.getByRole('button', { name: 'Create meeting' }).click();

  const card = page.getByTestId('meeting-card').filter({ hasText: 'Engine design review' });
  await expect(card).toHaveCount(1);
  await expect(page.getByRole('region', { name: 'Upcoming' })).toContainText('Engine design review');
  const code = await card.getByTestId('meeting-code').innerText();
  expect(code).toMatch(/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  await expect(page.getByTestId('created-link')).toHaveText(new RegExp(`/meeting/${code}$`));
  // Left untouched, the form's size is the server's default: room for a call through the SFU.
  const mine = await (await page.request.get('/api/v1/meetings')).json();
  expect(mine.upcoming.find((m: { code: string }) => m.code === code)?.max_participants).toBe(50);
  // A create that fails (no title) does not leave the last "Created …" banner standing.
  await form.getByRole('button', { name: 'Create meeting' }).click();
  await expect(form.locator('#new-title-error')).not.toBeEmpty();
  await expect(page.getByTestId('created-link')).toHaveCount(0);

  await card.getByRole('link', { name: 'Open' }).click();
  await expect(page).toHaveURL(new RegExp(`/meeting/${code}$`));
  await expect(page.getByTestId('meeting-title')).toHaveText('Engine design review');
  await expect(page.getByText('Hosted by Ada Lovelace')).toBeVisible();
  // The pre-join screen says when it is (in the browser's own time zone, as entered).
  await expect(page.getByTestId('scheduled')).toContainText('2099');
  await expect(page.getByTestId('scheduled')).toContainText('10:30');
  await expect(page.getByTestId('scheduled')).toContainText('45 min');

  // "New meeting" on the landing page makes a meeting at once and opens it.
  await gotoLight(page, '/');
  await page.getByTestId('new-meeting').click();
  await expect(page).toHaveURL(/\/meeting\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  await expect(page.getByTestId('meeting-title')).toHaveText("Ada Lovelace's meeting");

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  // Signed out, it asks you to sign in first.
  await page.getByTestId('new-meeting').click();
  await expect(page).toHaveURL(/\/login\?next=\/dashboard$/);

  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // It says why you are here.
  await expect(page.getByTestId('why-sign-in')).toHaveText('Sign in to see your meetings.');
});

test('a wrong password shows an error on the form, the right one signs in', async ({ page, browser }) => {
  const email = uniqueEmail('bea');
  const other = await browser.newPage();
  await registerViaUi(other, 'Bea', email);
  await other.close();

  await gotoLight(page, '/login?next=/dashboard');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not-my-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  // The page came back without the app: the error has the focus, for keyboards and screen readers.
  await expect(page.getByTestId('form-error')).toBeFocused();
  // The address bar keeps where to go next, not the encoded error (it used to grow on each try).
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$|\/login\?next=\/dashboard$/);
  await expect(page.getByLabel('Email')).toHaveValue(email);

  await page.getByLabel('Password').fill(PASSWORD);
  // While the form is being sent the button shows progress and cannot be pressed again,
  // without the app as with it (the test cancels this one send to look at the button).
  await page.evaluate(() => document.querySelector('form[method="post"] [data-busy]')?.closest('form')?.addEventListener('submit', (e) => e.preventDefault()));
  await page.getByRole('button', { name: 'Sign in' }).click();
  const busy = page.getByRole('button', { name: 'Signing in…' });
  await expect(busy).toBeDisabled();
  await expect(busy).toHaveAttribute('aria-busy', 'true');
  await page.reload();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('current-user')).toHaveText('Bea');

  // Signing out from a page without the app is a plain form post too.
  await gotoLight(page, '/');
  await expect(page.getByTestId('current-user')).toHaveText('Bea');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=\/dashboard$/);
});

test('registration shows field errors inline and keeps what was typed', async ({ page }) => {
  await gotoLight(page, '/register');
  await page.getByLabel('Your name').fill('Cy');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#email-error')).toContainText('valid email');
  await expect(page.locator('#password-error')).toContainText('at least 8');
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Email')).toBeFocused();
  await expect(page.getByLabel('Your name')).toHaveValue('Cy');
  // Sent back by the server with the errors in the URL (the page has no app to keep them).
  await expect(page).toHaveURL(/\/register(\?|$)/);
});

test('a host edits and deletes a meeting from the dashboard', async ({ page }) => {
  await registerViaUi(page, 'Dee', uniqueEmail('dee'));
  const form = page.getByRole('form', { name: 'New meeting' });
  await form.getByLabel('Title').fill('Draft title');
  await form.getByRole('button', { name: 'Create meeting' }).click();
  const card = page.getByTestId('meeting-card').first();
  await expect(card).toContainText('Draft title');

  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = card.getByRole('form', { name: 'Edit meeting' });
  await edit.getByLabel('Title').fill('');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(edit.locator('#edit-title-error')).toContainText('title');

  await edit.getByLabel('Title').fill('Final title');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByTestId('meeting-card').first()).toContainText('Final title');

  await page.getByTestId('meeting-card').first().getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(page.getByTestId('meeting-card')).toHaveCount(0);
  await expect(page.getByText('Nothing scheduled.')).toBeVisible();
});

test('an unknown meeting code says so and leads home; a pasted meeting link is taken', async ({ page }) => {
  await gotoLight(page, '/');
  await page.getByLabel('Meeting code or link').fill('not a code');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page.locator('#code-error')).toHaveText('Enter a code like abc-defg-hij, or paste a meeting link.');
  await expect(page.getByLabel('Meeting code or link')).toHaveValue('not a code');
  await page.getByLabel('Meeting code or link').fill('zzz-zzzz-zzz');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Meeting not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go home' }).click();
  await expect(page).toHaveURL(/\/$/);
  // The link a host shares, pasted whole (as people do), opens that meeting.
  await gotoLight(page, '/');
  await page.getByLabel('Meeting code or link').fill('https://meet.example.com/meeting/ZZZ-ZZZZ-ZZZ?from=mail');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page).toHaveURL(/\/meeting\/zzz-zzzz-zzz$/);
});

test('a page that does not exist comes light and leads home; signed in, sign-in is skipped', async ({ page }) => {
  await gotoLight(page, '/no/such-page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go home' }).click();
  await expect(page).toHaveURL(/\/$/);

  await registerViaUi(page, 'Cy', uniqueEmail('cy'));
  await page.goto('/login');
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Your meetings' })).toBeVisible();
});
